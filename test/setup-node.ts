// Runs before every test file: Node tests get their GPU from Dawn, as the Node entry does for users.
import '../src/node/dawn.ts';
