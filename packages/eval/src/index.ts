// Public surface of @steel/eval. Filled by issue #8.
export {};
