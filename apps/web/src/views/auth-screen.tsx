/** The token screen: shown when no token is stored, or when the hub refused it. */
import { useState } from "preact/hooks";
import type { AuthState } from "../controller.js";

const EXPLAIN: Readonly<Record<string, string>> = {
  refused: "The hub refused this token: it is unknown or was revoked.",
  forbidden: "This token may not read here: it needs the read scope for this project.",
};

export function AuthScreen({ auth, onSubmit }: { auth: AuthState; onSubmit: (token: string) => void }) {
  const [token, setToken] = useState("");
  const refused = auth.kind === "refused";
  return (
    <main class="auth" aria-labelledby="auth-title">
      <h1 id="auth-title">{refused ? "Token refused" : "Connect to this hub"}</h1>
      {refused ? (
        <p class="auth-problem" role="alert">
          {EXPLAIN[auth.problem]} <span class="muted">({auth.message})</span>
        </p>
      ) : (
        <p>Paste a read token for this hub. It is kept in this browser only and sent only to this hub.</p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() !== "") onSubmit(token);
        }}
      >
        <label for="token">Read token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        <button type="submit">Connect</button>
      </form>
      <p class="muted">
        Make one with <code>events token create --project &lt;uuid&gt; --scope read</code>, or use the admin token the hub printed at its first start.
      </p>
    </main>
  );
}
