// Public surface of @steel/kernels-native. Filled by issue #null.
export {};
