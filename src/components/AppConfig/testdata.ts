// Settings the tests of the configuration page share.
import { AISystemFacts } from '../../types';

// The README's example of jsonData.aiSystems.<ai_system>: every fact given.
export const SUPPORTBOT_FACTS: AISystemFacts = {
  name: 'Acme Support Assistant',
  provider: 'Acme GmbH, Berlin',
  registrationId: 'EU-AI-0000123',
  authority: 'Bundesnetzagentur',
  submitterRole: 'provider',
  contact: 'Dana Legal, legal@acme.example, +49 30 1234',
};
