/** Roles a member can hold in an organisation, from most to least powerful. */
export type Role = 'owner' | 'admin' | 'member' | 'viewer';

/** A row of `users`. */
export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  email_verified_at: Date | null;
  is_superadmin: boolean;
  suspended_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A row of `orgs`. */
export interface OrgRow {
  id: string;
  name: string;
  suspended_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A row of `memberships` (tenant-owned). */
export interface MembershipRow {
  id: string;
  org_id: string;
  user_id: string;
  role: Role;
  created_at: Date;
}

/** A row of `invitations` (tenant-owned). */
export interface InvitationRow {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string | null;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

/** A row of `api_tokens` (tenant-owned). */
export interface ApiTokenRow {
  id: string;
  org_id: string;
  name: string;
  role: Exclude<Role, 'owner'>;
  token_hash: string;
  token_hint: string;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** A row of `provider_keys` (tenant-owned). */
export interface ProviderKeyRow {
  id: string;
  org_id: string;
  name: string;
  provider: 'openai' | 'anthropic' | 'openai-compatible';
  base_url: string | null;
  key_id: string;
  ciphertext: string;
  hint: string;
  created_by: string | null;
  created_at: Date;
}

/** A row of `audit_events` (tenant-owned when `org_id` is set). */
export interface AuditEventRow {
  id: string;
  org_id: string | null;
  actor_user_id: string | null;
  actor_api_token_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

/** Every table that belongs to one organisation, with its row type. */
export interface TenantTables {
  memberships: MembershipRow;
  invitations: InvitationRow;
  api_tokens: ApiTokenRow;
  provider_keys: ProviderKeyRow;
  audit_events: AuditEventRow;
}
