// 登录: user name and password; a refusal is shown next to the form (a wrong password and an
// unknown user read the same; too many tries say so).
import { type FormEvent, type ReactNode, useState } from 'react';
import { ApiError, api, type Session } from '../api.js';
import { t } from '../i18n/messages.js';

export function Login(props: { readonly onSession: (session: Session) => void }): ReactNode {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const session = await api<Session>(null, 'POST', '/api/v1/session', { user, password });
      props.onSession(session);
    } catch (error) {
      const rateLimited = error instanceof ApiError && error.code === 'HQ_LOGIN_RATE_LIMITED';
      setProblem(t(rateLimited ? 'login.rateLimited' : 'login.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title" noValidate>
        <h1 id="login-title">{t('appTitle')}</h1>
        <h2>{t('login.title')}</h2>
        {problem === null ? null : (
          <p className="problems" role="alert">
            {problem}
          </p>
        )}
        <label htmlFor="login-user">{t('login.user')}</label>
        <input
          id="login-user"
          name="user"
          autoComplete="username"
          value={user}
          onChange={(e) => setUser(e.target.value)}
          required
        />
        <label htmlFor="login-password">{t('login.password')}</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </main>
  );
}
