export * from './access.ts';
export * from './passwords.ts';
export * from './tokens.ts';
export * from './secret-cipher.ts';
export * from './login-limiter.ts';
export * from './membership-index.ts';
export * from './identity-service.ts';
export * from './secret-service.ts';
