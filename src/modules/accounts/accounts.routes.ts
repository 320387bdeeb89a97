import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import type { AccountDeletion } from './account-deletion.js';
import { AuthResult, ChangePassword, Credentials, DeleteAccount, Me } from './accounts.schema.js';
import type { AccountsService } from './accounts.service.js';
import type { DataExport } from './data-export.js';

export function accountsRoutes(accounts: AccountsService, deletion: AccountDeletion, dataExport: DataExport): AnyRoute[] {
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
      method: 'POST',
      url: '/api/v1/auth/logout-all',
      operationId: 'logOutEverywhere',
      tag: 'auth',
      summary: 'End every session',
      description: 'Every bearer token of the account stops working at once, the one used for this request included.',
      auth: 'user',
      status: 204,
      response: null,
      handler: async (request) => {
        await accounts.logoutEverywhere(request.user);
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/me/password',
      operationId: 'changePassword',
      tag: 'auth',
      summary: 'Change the password',
      description:
        'Needs the current password (403 `wrong_password`); the new one follows the sign-up rules. Every other session of the account ends; ' +
        'the token used for this request stays valid. Counts against the `account` rate limit.',
      auth: 'user',
      rateLimit: 'account',
      body: ChangePassword,
      status: 204,
      response: null,
      errors: [403],
      handler: async (request) => {
        await accounts.changePassword(request.user, request.authToken!, request.body);
        return undefined;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/me',
      operationId: 'deleteMe',
      tag: 'auth',
      summary: 'Delete the account',
      description:
        'Needs the password (403 `wrong_password`). Deletes the account and everything it made: videos (originals and renditions), ' +
        'comments, likes, bookmarks, follows both ways, blocks, reports filed, playback history, avatar and sessions; counts on other ' +
        "people's videos and comments drop accordingly. Reports about the account stay for moderators. The username is held for " +
        '`DELETED_USERNAME_HOLD_DAYS` before anyone can sign up with it. Counts against the `account` rate limit.',
      auth: 'user',
      rateLimit: 'account',
      body: DeleteAccount,
      status: 204,
      response: null,
      errors: [403],
      handler: async (request) => {
        await deletion.delete(request.user, request.body.password);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/export',
      operationId: 'exportMyData',
      tag: 'auth',
      summary: 'Download all of my data (ZIP)',
      description:
        'A ZIP streamed as it is made: `curta-export.json` (profile, videos with metadata, comments, likes, bookmarks, shares, ' +
        'follows both ways, blocks, reports filed, playback history), `avatar.jpg`, and every original uploaded, under `originals/`. ' +
        'Memory stays flat whatever its size; a failure midway ends the connection (the archive is then incomplete). ' +
        'Counts against the `export` rate limit.',
      auth: 'user',
      rateLimit: 'export',
      response: { contentType: 'application/zip', description: 'The archive' },
      handler: async (request, reply) => {
        const day = new Date().toISOString().slice(0, 10);
        return reply
          .header('content-type', 'application/zip')
          .header('content-disposition', `attachment; filename="curta-${request.user.username}-${day}.zip"`)
          .header('cache-control', 'private, no-store')
          .send(dataExport.stream(request.user));
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
