import type { Role } from '../db/rows.js';

/** Roles from most to least powerful. */
export const roles: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/**
 * Everything an organisation route can require. Each maps to the least role allowed to do it.
 *
 * @example
 * ```ts
 * allows('member', 'provider-keys:write'); // false
 * ```
 */
export const permissionMinimumRole = {
  'org:read': 'viewer',
  'org:update': 'admin',
  'org:delete': 'owner',
  'members:read': 'viewer',
  'members:write': 'admin',
  'invitations:read': 'admin',
  'invitations:write': 'admin',
  'api-tokens:read': 'member',
  'api-tokens:write': 'member',
  'provider-keys:read': 'member',
  'provider-keys:write': 'admin',
  'audit:read': 'admin',
  'jobs:read': 'viewer',
  'jobs:write': 'member',
  'files:read': 'viewer',
  'files:write': 'member',
} as const satisfies Record<string, Role>;

/** A permission an organisation route requires. */
export type Permission = keyof typeof permissionMinimumRole;

const rank: Record<Role, number> = { owner: 4, admin: 3, member: 2, viewer: 1 };

/**
 * True when `role` is at least `minimum`.
 *
 * @example
 * ```ts
 * atLeast('admin', 'member'); // true
 * ```
 */
export function atLeast(role: Role, minimum: Role): boolean {
  return rank[role] >= rank[minimum];
}

/**
 * The weaker of two roles (an API token never exceeds the role of the member who created it).
 *
 * @example
 * ```ts
 * weakerRole('admin', 'viewer'); // 'viewer'
 * ```
 */
export function weakerRole<A extends Role, B extends Role>(first: A, second: B): A | B {
  return rank[first] <= rank[second] ? first : second;
}

/**
 * True when `role` may do what `permission` guards.
 *
 * @example
 * ```ts
 * if (!allows(org.role, 'audit:read')) throw forbidden('audit:read');
 * ```
 */
export function allows(role: Role, permission: Permission): boolean {
  return atLeast(role, permissionMinimumRole[permission]);
}
