import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { AuthResult, Credentials, Me } from './accounts.schema.js';
import type { AccountsService } from './accounts.service.js';

export function accountsRoutes(accounts: AccountsService): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/signup',
      operationId: 'signUp',
      tag: 'auth',
      summary: 'Create an account and sign in',
      description: 'Usernames are unique, case-insensitively (409 `username_taken`). The answer carries a bearer token.',
      auth: 'none',
      rateLimit: 'signup',
      body: Credentials,
      status: 201,
      response: AuthResult,
      errors: [409],
      handler: async (request) => accounts.signup(request.body),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/login',
      operationId: 'logIn',
      tag: 'auth',
      summary: 'Sign in',
      description:
        'A wrong username or password is 401 `invalid_credentials`. A banned account gets 403 `account_banned` (with the reason) after a correct password. ' +
        'Every attempt counts per address; failed ones also per username, which is refused for a while once it used them up.',
      auth: 'none',
      rateLimit: 'login',
      body: Credentials,
      response: AuthResult,
      errors: [401, 403],
      handler: async (request) => accounts.login(request.body),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/logout',
      operationId: 'logOut',
      tag: 'auth',
      summary: 'Revoke the bearer token',
      description: 'The token used for this request stops working at once; other sessions stay.',
      auth: 'user',
      status: 204,
      response: null,
      handler: async (request) => {
        await accounts.logout(request.authToken!);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me',
      operationId: 'getMe',
      tag: 'auth',
      summary: 'The signed-in account',
      description: 'Checks a stored token: 401 when it expired or was revoked.',
      auth: 'user',
      response: Me,
      handler: async (request) => ({ user: request.user }),
    }),
  ];
}
