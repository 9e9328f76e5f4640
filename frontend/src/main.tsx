import { render } from 'preact';
import { windowBridge } from './bridge';
import { App } from './components/App';
import './style.css';
import './list.css';
import './forms.css';
import './dialogs.css';

const root = document.getElementById('app')!;
try {
  render(<App bridge={windowBridge()} />, root);
} catch (e) {
  // Opened outside the Gatepass window (no Go bindings): say so as text.
  const p = document.createElement('p');
  p.className = 'fatal';
  p.textContent = e instanceof Error ? e.message : String(e);
  root.replaceChildren(p);
}
