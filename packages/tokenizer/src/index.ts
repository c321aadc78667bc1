// Public surface of @steel/tokenizer. Filled by issue #4.
export {};
