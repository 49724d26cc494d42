// What the console's rule editor uses from CodeMirror 6, re-exported from one file (bundled by build.sh).
export { EditorView, basicSetup } from 'codemirror';
export { EditorState } from '@codemirror/state';
export { keymap } from '@codemirror/view';
export { yaml } from '@codemirror/lang-yaml';
export { linter, lintGutter, forceLinting } from '@codemirror/lint';
