// Public surface of @steel/data-juicer-ts. Filled by issue #3.
export {};
