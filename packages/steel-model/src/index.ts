// Public surface of @steel/steel-model. Filled by issue #6.
export {};
