import { type Role, type User } from '$shared/auth.ts';
import { userCreateSchema } from '$shared/auth-schemas.ts';
import { getJson, sendJson } from '../api.ts';
import { fieldOfMessage, problemsByField } from './form.ts';
import { LoadState } from '../load-state.svelte.ts';

export type UserPatch = Partial<{ role: Role; password: string; disabled: boolean }>;

/** The users, read when the tab opens and kept in step with each change made here. */
export class UsersStore extends LoadState {
  users = $state.raw<User[]>([]);

  load(): Promise<void> {
    return this.track('loading the users', async () => {
      this.users = (await getJson<{ users: User[] }>('/api/users', {})).users;
    });
  }

  /** Throws ApiError (409: the name is taken). */
  async create(input: { username: string; password: string; role: Role }): Promise<User> {
    const user = await sendJson<User>('POST', '/api/users', input);
    this.users = [...this.users, user].sort((a, b) => a.username.localeCompare(b.username));
    return user;
  }

  /** Throws ApiError (409: the last admin cannot be demoted or disabled). */
  async update(id: number, patch: UserPatch): Promise<User> {
    const user = await sendJson<User>('PATCH', `/api/users/${id}`, patch);
    this.users = this.users.map((u) => (u.id === id ? user : u));
    return user;
  }

  /** Throws ApiError (409: yourself, or the last admin). */
  async remove(id: number): Promise<void> {
    await sendJson<void>('DELETE', `/api/users/${id}`);
    this.users = this.users.filter((u) => u.id !== id);
  }
}

const USER_FIELDS = ['username', 'password', 'role'] as const;

/** The add-user form: validated by the server's own `userCreateSchema` as one types. */
export class UserDraft {
  username = $state('');
  password = $state('');
  role = $state<Role>('viewer');
  submitted = $state(false);
  touched = $state<Record<string, boolean>>({});
  /** What the server refused, until that field is edited again. */
  serverError = $state<{ field: string | null; message: string } | null>(null);

  #result = $derived(userCreateSchema.safeParse({ username: this.username, password: this.password, role: this.role }));
  #problems = $derived(problemsByField(this.#result));

  get value() {
    return this.#result.success ? this.#result.data : null;
  }

  errorFor(field: (typeof USER_FIELDS)[number]): string | null {
    const mine = this.submitted || this.touched[field] ? this.#problems[field] : undefined;
    return mine ?? (this.serverError?.field === field ? this.serverError.message : null);
  }

  /** Left the field: its problems show from now on. */
  touch(field: string): void {
    this.touched[field] = true;
    this.edited(field);
  }

  /** Typed in the field: what the server said about it no longer holds. */
  edited(field: string): void {
    if (this.serverError?.field === field) this.serverError = null;
  }

  setServerError(message: string, status: number): void {
    // 409 (user "x" exists): the username's problem, said for people.
    this.serverError =
      status === 409 ? { field: 'username', message: `“${this.username.trim()}” is taken: pick another username` } : fieldOfMessage(message, USER_FIELDS);
  }
}
