// Public surface of @steel/graph. Filled by issue #5.
export {};
