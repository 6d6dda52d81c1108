import { describe, expect, it } from 'vitest';
import { EnvError, readEnv } from './env.js';

const required = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('BILINEAR_WEBGPU', () => {
  it('is off unless set to 1: auto never tries webgpu unasked', () => {
    expect(readEnv(required).webgpu).toBe(false);
    expect(readEnv({ ...required, BILINEAR_WEBGPU: '0' }).webgpu).toBe(false);
    expect(readEnv({ ...required, BILINEAR_WEBGPU: '1' }).webgpu).toBe(true);
  });

  it('anything else is an error naming the variable and the accepted values', () => {
    expect(() => readEnv({ ...required, BILINEAR_WEBGPU: 'yes' })).toThrow(EnvError);
    expect(() => readEnv({ ...required, BILINEAR_WEBGPU: 'yes' })).toThrow(
      /BILINEAR_WEBGPU: must be '1' \(let auto try webgpu\) or '0'/,
    );
  });

  it('BILINEAR_BACKEND accepts webgpu by name', () => {
    expect(readEnv({ ...required, BILINEAR_BACKEND: 'webgpu' }).backend).toBe('webgpu');
  });
});
