declare module '../events/events.js' {
  interface OutriggerEvents {
    /**
     * New certificate files were read, checked and taken: connections opened from now on present
     * them; connections already open keep the pair they were opened with. Also emitted once, with
     * `initial`, for the files read when the client was made (before anyone outside can listen;
     * it feeds the certificate expiry gauge).
     */
    'tls.reloaded': {
      readonly service: string;
      /** True for the files read when the client was made, false for a reload. */
      readonly initial: boolean;
      /** The new client certificate's serial number (hex), or undefined with no certificate file. */
      readonly serial: string | undefined;
      /** When the new certificate expires (ms since the epoch), or undefined with none. */
      readonly notAfter: number | undefined;
    };
    /**
     * Changed certificate files were refused (unreadable, not PEM, key and certificate do not
     * match, expired or not yet valid): the last good pair stays in use. `reason` never holds a
     * key's or certificate's content.
     */
    'tls.rejected': {
      readonly service: string;
      readonly reason: string;
    };
  }
}

export {};
