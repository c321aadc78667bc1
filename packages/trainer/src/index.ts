// Public surface of @steel/trainer. Filled by issue #7.
export {};
