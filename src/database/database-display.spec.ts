import { displayDatabase } from './database-display';

describe(displayDatabase.name, () => {
  it('shows a PostgreSQL URL with its password as *** and without its query', () => {
    const url = 'postgres://nagare:s%40cret@db.example:5432/nagare?sslpassword=other';
    expect(displayDatabase({ kind: 'postgres', url })).toBe('postgres://nagare:***@db.example:5432/nagare');
  });

  it('shows a URL without a password as it is, and a SQLite file as sqlite:<path>', () => {
    expect(displayDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/postgres' })).toBe(
      'postgres://postgres@127.0.0.1:5432/postgres',
    );
    expect(displayDatabase({ kind: 'sqlite', path: '/app/data/nagare.sqlite' })).toBe('sqlite:/app/data/nagare.sqlite');
  });

  it('shows only the scheme of a URL that does not parse', () => {
    expect(displayDatabase({ kind: 'postgres', url: 'postgres://u:pw@[bad/x' })).toBe('postgres://…');
  });
});
