import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const NO_FOCUSED_TEST = {
  selector: "CallExpression[callee.property.name='only'][callee.object.name=/^(it|describe|test)$/]",
  message: 'A focused test hides the rest of the suite.',
};

const WRITES_GO_THROUGH_WRITERS = "Write through the table family's writer (a *-writer.ts class), not from here.";

/**
 * Repository and entity-manager writes outside the designated writers (the `*-writer.ts` files under src, each
 * writing its table family through Transactions). Services read through ReadRepository, which has no write method; these
 * catch what a type cannot: a manager, a query builder or a getRepository() reached some other way.
 */
const REPOSITORY_WRITES = [
  NO_FOCUSED_TEST,
  {
    selector:
      'CallExpression[callee.property.name=/^(save|insert|upsert|softDelete|softRemove|increment|decrement)$/]' +
      ':not([callee.object.property.name=/[Ww]riter$/], [callee.object.name=/[Ww]riter$/])',
    message: WRITES_GO_THROUGH_WRITERS,
  },
  {
    selector:
      'CallExpression[callee.property.name=/^(update|delete|remove|clear)$/]:matches(' +
      '[callee.object.name=/^(manager|entityManager|em|repository)$/], ' +
      "[callee.object.property.name='manager'], " +
      '[callee.object.callee.property.name=/^(createQueryBuilder|getRepository)$/])',
    message: WRITES_GO_THROUGH_WRITERS,
  },
];
/**
 * class-validator's @IsOptional lets null through unvalidated as well as absence; a service that reads `?? default` or
 * `!== undefined` then meets a null it never expected (a chaos-fuzz 500: `"item_id": null` reached a TypeORM where).
 * A field whose type has no null takes @OptionalNotNull (src/common/http/optional.ts), which refuses null with a 400.
 */
const OPTIONAL_MEANS_NULLABLE = {
  selector: "PropertyDefinition:has(Decorator CallExpression[callee.name='IsOptional']):not(:has(TSNullKeyword))",
  message: '@IsOptional lets null through: use @OptionalNotNull, or type the field `| null` where null means "none".',
};
const loopbackHostsOnly = 'so a zabbix_server beside the suites never reaches another machine (README, real Zabbix).';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'logs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-restricted-syntax': ['error', NO_FOCUSED_TEST],
    },
  },
  {
    // Test hosts get loopback addresses or none: an address literal given to a host (or its interface) in a test
    // must be 127.x, a DNS name must be localhost or end in .localhost.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        NO_FOCUSED_TEST,
        {
          selector: 'Property[key.name=/^(ip|ipAddr|ip_addr)$/] > Literal[value=/^(?!127\\.)[0-9]+(\\.[0-9]+){3}$/]',
          message: `A test host's IP address must be a loopback one (127.x), ${loopbackHostsOnly}`,
        },
        {
          selector:
            'Property[key.name=/^(dns|ipAddr|ip_addr)$/] > Literal[value=/[a-z]/i]:not([value=/(^|\\.)localhost$/])',
          message: `A test host's DNS name must be localhost or end in .localhost, ${loopbackHostsOnly}`,
        },
      ],
    },
  },
  {
    // Small files with one job (issue 17): a file past 350 lines or a function past 60 is split, not waived.
    // Specs are left out: a describe() callback holds its cases.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.spec.ts'],
    rules: {
      'max-lines': ['error', { max: 350 }],
      'max-lines-per-function': ['error', { max: 60 }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through APP_CONFIG; only src/config reads the environment.',
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*-writer.ts', 'src/database/**', 'src/**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...REPOSITORY_WRITES, OPTIONAL_MEANS_NULLABLE],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'typeorm',
              importNames: ['Repository'],
              message: `Read through ReadRepository (src/database/read-repository.ts). ${WRITES_GO_THROUGH_WRITERS}`,
            },
            {
              // A helper that runs inside a writer's transaction may name the manager's type, not make one.
              name: 'typeorm',
              importNames: ['EntityManager'],
              allowTypeImports: true,
              message: WRITES_GO_THROUGH_WRITERS,
            },
          ],
        },
      ],
    },
  },
  {
    // The config loader reads a YAML null as an absent key before validating, so @IsOptional is right there.
    files: ['src/config/**'],
    rules: { 'no-restricted-syntax': ['error', ...REPOSITORY_WRITES] },
  },
);
