/**
 * The payment provider's credentials, read from the Dapr secret store (never
 * from the environment) the first time a charge needs them. Without them no
 * charge is made: the event is delivered again until the secret is there.
 */
import type { SecretReader } from "../kit/ports/ports.ts";

export class ProviderCredentials {
  readonly #secrets: SecretReader;
  readonly #store: string;
  readonly #name: string;
  #key: string | undefined;

  constructor(secrets: SecretReader, store: string, name: string) {
    this.#secrets = secrets;
    this.#store = store;
    this.#name = name;
  }

  /** Resolves once the provider's API key is known; throws while the secret store lacks it. */
  async ready(): Promise<void> {
    if (this.#key) return;
    const secret = await this.#secrets.get(this.#store, this.#name);
    const key = secret[this.#name];
    if (!key) throw new Error(`secret ${this.#name} is missing from secret store ${this.#store}`);
    this.#key = key;
  }
}
