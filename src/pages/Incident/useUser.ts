import { config } from '@grafana/runtime';
import type { User } from './permissions';

// The signed-in Grafana user (login and org role) as Grafana's boot data has them.
export function currentUser(): User {
  const u = config.bootData?.user;
  return { login: u?.login ?? '', role: (u?.orgRole as string) || 'None' };
}
