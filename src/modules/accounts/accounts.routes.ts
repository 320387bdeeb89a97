import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../http/auth.js';
import { CredentialsSchema, type AccountsService } from './accounts.service.js';

export function accountsRoutes(app: FastifyInstance, accounts: AccountsService): void {
  app.post('/api/v1/auth/signup', { config: { rateLimit: 'signup' } }, async (request, reply) => {
    const result = await accounts.signup(CredentialsSchema.parse(request.body));
    return reply.status(201).send(result);
  });

  app.post('/api/v1/auth/login', { config: { rateLimit: 'login' } }, async (request) => accounts.login(CredentialsSchema.parse(request.body)));

  app.post('/api/v1/auth/logout', async (request, reply) => {
    requireUser(request);
    await accounts.logout(request.authToken!);
    return reply.status(204).send();
  });

  app.get('/api/v1/me', async (request) => ({ user: requireUser(request) }));
}
