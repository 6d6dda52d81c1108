import { signOut } from '@/app/actions';

export function SignOutButton() {
  return (
    <form action={signOut}>
      <button type="submit" className="link-button">
        Sign out
      </button>
    </form>
  );
}
