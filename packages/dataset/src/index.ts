// Public surface of @steel/dataset. Filled by issue #2.
export {};
