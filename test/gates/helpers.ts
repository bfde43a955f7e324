/** Lets promise continuations (admissions) run between FakeClock steps. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Logs `label` (or `label:rejected`) when `p` settles, so tests can assert the admission order. */
export function track<T>(log: string[], label: string, p: Promise<T>): Promise<T | undefined> {
  return p.then(
    (v) => {
      log.push(label);
      return v;
    },
    () => {
      log.push(`${label}:rejected`);
      return undefined;
    },
  );
}
