// The stand-in's own chrome around a plugin page: a banner that says what this is, the acting user (chosen with a
// picker, kept in the grafana_user / grafana_role cookies the server turns into Grafana's user), the theme, a nav with
// the app's pages from plugin.json, Grafana's toasts, and the PluginPage that Grafana's chrome would draw.
import React, { createContext, useContext, useEffect, useState } from 'react';
import { css } from '@emotion/css';
import { AppEvents, GrafanaTheme2, NavModelItem, PluginInclude, PluginMeta } from '@grafana/data';
import { config, getAppEvents, locationService, PluginPageProps } from '@grafana/runtime';
import { Alert, Button, Field, Icon, Input, RadioButtonGroup, Stack, Text, TextLink, useStyles2 } from '@grafana/ui';

export const ROLES = ['None', 'Viewer', 'Editor', 'Admin'] as const;
const RANK: Record<string, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

export interface HostUser {
  isSignedIn: boolean;
  login: string;
  orgRole: string;
  permissions?: Record<string, boolean>;
}

export const hostUser = (): HostUser => config.bootData.user as unknown as HostUser;

function setCookie(name: string, value: string | null) {
  const tail = value === null ? '=; Max-Age=0' : `=${encodeURIComponent(value)}`;
  document.cookie = `${name}${tail}; Path=/; SameSite=Lax`;
}

// The server renders the user and theme into the boot data, so a change takes a reload, as in Grafana.
function signIn(login: string, role: string) {
  setCookie('grafana_user', login);
  setCookie('grafana_role', role);
  window.location.reload();
}

function signOut() {
  setCookie('grafana_user', null);
  setCookie('grafana_role', null);
  window.location.reload();
}

function setTheme(theme: 'light' | 'dark') {
  setCookie('grafana_theme', theme);
  const url = new URL(window.location.href);
  url.searchParams.delete('theme');
  window.location.replace(url);
}

// The app's pages for the nav, as Grafana filters plugin.json's includes for the user: by role and by action.
export function navItems(meta: PluginMeta | undefined, user: HostUser): PluginInclude[] {
  return (meta?.includes ?? []).filter(
    (inc) =>
      inc.type === 'page' &&
      inc.addToNav &&
      inc.path &&
      RANK[user.orgRole] >= RANK[inc.role ?? 'Viewer'] &&
      (!inc.action || user.permissions?.[inc.action])
  );
}

const PageTitle = createContext<string>('');

export function UserPicker({ current }: { current: HostUser }) {
  const [login, setLogin] = useState(current.isSignedIn ? current.login : '');
  const [role, setRole] = useState(current.isSignedIn ? current.orgRole : 'Viewer');
  const styles = useStyles2(getStyles);
  const valid = /^[A-Za-z0-9._@-]{1,64}$/.test(login);
  return (
    <form
      className={styles.picker}
      aria-label="Choose a user"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) {
          signIn(login, role);
        }
      }}
    >
      <Stack direction="column" gap={2}>
        <Text element="h2">Choose who you are</Text>
        <Text color="secondary">
          Grafana would sign you in. This stand-in sends the login and org role you pick here to the plugin&apos;s
          backend as Grafana&apos;s signed-in user; nothing is sent as anyone until you choose.
        </Text>
        <Field label="Login" invalid={login !== '' && !valid} error="Letters, digits and . _ @ - only">
          <Input id="host-login" value={login} onChange={(e) => setLogin(e.currentTarget.value)} width={30} />
        </Field>
        <Field label="Org role">
          <RadioButtonGroup options={ROLES.map((r) => ({ label: r, value: r }))} value={role} onChange={setRole} />
        </Field>
        <Stack>
          <Button type="submit" disabled={!valid}>
            Sign in
          </Button>
        </Stack>
      </Stack>
    </form>
  );
}

function Banner({ user, onSwitch }: { user: HostUser; onSwitch: () => void }) {
  const styles = useStyles2(getStyles);
  const dark = config.theme2.isDark;
  return (
    <header className={styles.banner}>
      <Icon name="exclamation-triangle" />
      <strong>Development stand-in for Grafana</strong>
      <span className={styles.muted}>not Grafana: for trying and testing the plugin only</span>
      <span className={styles.grow} />
      {user.isSignedIn ? (
        <span data-testid="host-user">
          Signed in as <strong>{user.login}</strong> ({user.orgRole})
        </span>
      ) : (
        <span data-testid="host-user">Not signed in</span>
      )}
      <Button size="sm" variant="secondary" onClick={onSwitch}>
        {user.isSignedIn ? 'Switch user' : 'Choose a user'}
      </Button>
      {user.isSignedIn && (
        <Button size="sm" variant="secondary" fill="text" onClick={signOut}>
          Sign out
        </Button>
      )}
      <Button
        size="sm"
        variant="secondary"
        fill="text"
        icon="palette"
        onClick={() => setTheme(dark ? 'light' : 'dark')}
      >
        {dark ? 'Light theme' : 'Dark theme'}
      </Button>
    </header>
  );
}

function Nav({ meta, items, pathname }: { meta?: PluginMeta; items: PluginInclude[]; pathname: string }) {
  const styles = useStyles2(getStyles);
  if (!meta) {
    return null;
  }
  return (
    <nav className={styles.nav} aria-label="App pages">
      <div className={styles.navTitle}>
        <img src={meta.info.logos.small} alt="" width={20} height={20} />
        <span>{meta.name}</span>
      </div>
      <ul>
        {items.map((inc) => (
          <li key={inc.path}>
            <a
              href={inc.path}
              aria-current={pathname.startsWith(inc.path!) ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                locationService.push(inc.path!);
              }}
            >
              {inc.icon && <Icon name={inc.icon as 'cog'} />} {inc.name}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Toasts() {
  const [toasts, setToasts] = useState<Array<{ id: number; error: boolean; text: string }>>([]);
  useEffect(() => {
    let next = 0;
    const subs = [AppEvents.alertSuccess, AppEvents.alertError].map((event) =>
      getAppEvents()
        .getStream({ type: event.name } as never)
        .subscribe((e: { payload?: unknown[] }) => {
          const id = next++;
          const error = event === AppEvents.alertError;
          setToasts((t) => [...t, { id, error, text: (e.payload ?? []).map(String).join(': ') }]);
          setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), error ? 10000 : 5000);
        })
    );
    return () => subs.forEach((s) => s.unsubscribe());
  }, []);
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.toasts} role="status">
      {toasts.map((t) => (
        <Alert
          key={t.id}
          severity={t.error ? 'error' : 'success'}
          title={t.text}
          onRemove={() => setToasts((all) => all.filter((x) => x.id !== t.id))}
        />
      ))}
    </div>
  );
}

export function Chrome(props: { meta?: PluginMeta; pathname: string; children: React.ReactNode }) {
  const user = hostUser();
  const [picking, setPicking] = useState(!user.isSignedIn);
  const styles = useStyles2(getStyles);
  const items = navItems(props.meta, user);
  const title = items.find((inc) => props.pathname.startsWith(inc.path!))?.name ?? props.meta?.name ?? '';
  return (
    <div className={styles.shell}>
      <Banner user={user} onSwitch={() => setPicking(true)} />
      <div className={styles.body}>
        <Nav meta={props.meta} items={user.isSignedIn ? items : []} pathname={props.pathname} />
        <main className={styles.main}>
          {picking ? (
            <UserPicker current={user} />
          ) : (
            <PageTitle.Provider value={title}>{props.children}</PageTitle.Provider>
          )}
        </main>
      </div>
      <Toasts />
    </div>
  );
}

function Breadcrumbs({ item }: { item?: NavModelItem }) {
  const trail: NavModelItem[] = [];
  for (let i = item?.parentItem; i; i = i.parentItem) {
    trail.unshift(i);
  }
  if (!trail.length) {
    return null;
  }
  return (
    <nav aria-label="Breadcrumbs">
      <Stack gap={1}>
        {trail.map((i) => (
          <span key={i.text}>
            {i.url ? (
              <TextLink href={i.url} inline={false}>
                {i.text}
              </TextLink>
            ) : (
              i.text
            )}{' '}
            /
          </span>
        ))}
      </Stack>
    </nav>
  );
}

// What Grafana's chrome draws for a plugin page: breadcrumbs, the title (the page's nav item, or pageNav), actions,
// subtitle and info, then the page.
export function StandInPluginPage({ pageNav, subTitle, actions, info, renderTitle, children }: PluginPageProps) {
  const navTitle = useContext(PageTitle);
  const styles = useStyles2(getStyles);
  const title = pageNav?.text ?? navTitle;
  const sub = subTitle ?? pageNav?.subTitle;
  return (
    <div className={styles.page}>
      <Breadcrumbs item={pageNav} />
      <div className={styles.pageHeader}>
        {renderTitle ? renderTitle(title) : <h1>{title}</h1>}
        {actions && <div className={styles.actions}>{actions}</div>}
      </div>
      {sub && <div className={styles.subTitle}>{sub}</div>}
      {info && (
        <Stack gap={3}>
          {info.map((i) => (
            <Stack key={i.label} direction="column" gap={0.5}>
              <Text color="secondary" variant="bodySmall">
                {i.label}
              </Text>
              <span>{i.value}</span>
            </Stack>
          ))}
        </Stack>
      )}
      <div>{children}</div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  shell: css({
    minHeight: '100vh',
    display: 'flex',
    flexDirection: 'column',
    background: theme.colors.background.canvas,
  }),
  banner: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1.5),
    padding: theme.spacing(1, 2),
    background: theme.colors.warning.transparent,
    borderBottom: `1px solid ${theme.colors.warning.border}`,
    color: theme.colors.text.primary,
  }),
  muted: css({ color: theme.colors.text.secondary }),
  grow: css({ flex: 1 }),
  body: css({ display: 'flex', flex: 1 }),
  nav: css({
    width: 220,
    flexShrink: 0,
    padding: theme.spacing(2, 1),
    borderRight: `1px solid ${theme.colors.border.weak}`,
    background: theme.colors.background.primary,
    ul: { listStyle: 'none', margin: 0, padding: 0 },
    a: {
      display: 'block',
      padding: theme.spacing(0.75, 1.5),
      borderRadius: theme.shape.radius.default,
      color: theme.colors.text.secondary,
      '&:hover': { background: theme.colors.action.hover, color: theme.colors.text.primary },
      '&[aria-current=page]': { background: theme.colors.action.selected, color: theme.colors.text.primary },
    },
  }),
  navTitle: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 1.5, 1.5),
    fontWeight: theme.typography.fontWeightMedium,
  }),
  main: css({ flex: 1, minWidth: 0, padding: theme.spacing(3) }),
  picker: css({ maxWidth: 560 }),
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  pageHeader: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(2), h1: { margin: 0, flex: 1 } }),
  actions: css({ display: 'flex', gap: theme.spacing(1) }),
  subTitle: css({ color: theme.colors.text.secondary }),
  toasts: css({
    position: 'fixed',
    top: theme.spacing(8),
    right: theme.spacing(2),
    width: 400,
    zIndex: theme.zIndex.portal,
  }),
});
