// Goal: the test runner itself works (tap through tsx on TypeScript). Method: one trivial assertion.
import t from 'tap';

t.equal(1 + 1, 2, 'tap runs TypeScript through tsx');
