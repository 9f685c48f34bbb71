import { describe, expect, it } from 'vitest';
import { searchQueryArgv } from './search.js';

describe('searchQueryArgv', () => {
  it('moves a query that begins with "-" behind "--", wherever it stands among the options', () => {
    expect(searchQueryArgv(['search', '-from:lisi', '--json'])).toEqual(['search', '--json', '--', '-from:lisi']);
    expect(searchQueryArgv(['--data', 'd', 'search', '--limit', '5', '-草稿'])).toEqual(['--data', 'd', 'search', '--limit', '5', '--', '-草稿']);
    expect(searchQueryArgv(['search', '--limit=5', '合同'])).toEqual(['search', '--limit=5', '合同']);
    expect(searchQueryArgv(['search', '--', '-x'])).toEqual(['search', '--', '-x']);
  });

  it('leaves every other command alone, also when an argument happens to be "search"', () => {
    for (const argv of [['--data', 'search', 'import', 'f.ndjson', '-x'], ['holds', 'add', '--scope', 'search', '--reason', '-x'], ['audit', 'list', '--action', 'search', '--json']]) {
      expect(searchQueryArgv(argv)).toEqual(argv);
    }
  });
});
