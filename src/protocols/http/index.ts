import type { AnalyzerSpec } from '../analyzer.js';
import { probeHttp } from './parser.js';
import { HttpSession } from './session.js';

export { HttpSession, DEFAULT_HTTP_OPTIONS, type HttpOptions } from './session.js';

export const httpSpec: AnalyzerSpec = {
  name: 'http',
  transports: ['tcp'],
  ports: [80, 8000, 8008, 8080, 8081, 8888],
  probe: probeHttp,
  create: (ctx) => new HttpSession(ctx),
};
