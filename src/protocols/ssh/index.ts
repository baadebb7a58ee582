import type { AnalyzerSpec } from '../analyzer.js';
import { probeSsh } from './parser.js';
import { SshSession } from './session.js';

export { SshSession, DEFAULT_SSH_OPTIONS, type SshOptions } from './session.js';

export const sshSpec: AnalyzerSpec = {
  name: 'ssh',
  transports: ['tcp'],
  ports: [22, 2222],
  probe: probeSsh,
  create: (ctx) => new SshSession(ctx),
};
