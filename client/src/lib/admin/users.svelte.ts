import { type Role, type User } from '$shared/auth.ts';
import { userCreateSchema, userPatchSchema } from '$shared/auth-schemas.ts';
import { API } from '$shared/routes.ts';
import { FormDraft, problemsByField, type FieldError } from '../form-draft.svelte.ts';
import { ResourceStore } from '../resource.svelte.ts';

export type UserPatch = Partial<{ role: Role; password: string; disabled: boolean }>;
export type UserInput = { username: string; password: string; role: Role };

/** The users, read when the tab opens and kept in step with each change made here (409s: a name taken, the last admin, oneself). */
export class UsersStore extends ResourceStore<User, UserInput, UserPatch> {
  constructor() {
    super({ what: 'users', list: API.users, one: API.user, key: 'users', order: (a, b) => a.username.localeCompare(b.username) });
  }
}

/** The add-user form: validated by the server's own `userCreateSchema` as one types. */
export class UserDraft extends FormDraft<UserInput> {
  username = $state('');
  password = $state('');
  role = $state<Role>('viewer');
  protected readonly fields = ['username', 'password', 'role'];
  #result = $derived(userCreateSchema.safeParse({ username: this.username, password: this.password, role: this.role }));
  protected problems = $derived(problemsByField(this.#result));

  get value(): UserInput | null {
    return this.#result.success ? this.#result.data : null;
  }

  /** 409 (user "x" exists): the username's problem, said for people. */
  protected override refusal(message: string, status: number): FieldError {
    return status === 409 ? { field: 'username', message: `“${this.username.trim()}” is taken: pick another username` } : super.refusal(message, status);
  }
}

/** A new password for one user (Admin → Users → Reset), checked by the server's own `userPatchSchema`. */
export class PasswordDraft extends FormDraft<{ password: string }> {
  password = $state('');
  protected readonly fields = ['password'];
  #result = $derived(userPatchSchema.safeParse({ password: this.password }));
  protected problems = $derived(problemsByField(this.#result));

  get value(): { password: string } | null {
    return this.#result.success && this.problems.password === undefined ? { password: this.password } : null;
  }

  /** Refusals are said under the form, not the field. */
  protected override refusal(message: string): FieldError {
    return { field: null, message };
  }
}
