// The console's entry: routes on the address's fragment (`#/`, `#/machine/ARN`,
// `#/execution/ARN`, with `?status=` filters), so the files work from any static host.
import { endpoint } from './api.js';
import { errorBox } from './dom.js';
import { homeView, machineView } from './lists.js';
import { executionView } from './execution.js';

const main = document.getElementById('main');
// Each route's views poll until the route changes: they check that theirs is current.
let generation = 0;

function navigate(path, status) {
  location.hash = `#${path}${status ? `?status=${encodeURIComponent(status)}` : ''}`;
}

async function route() {
  generation += 1;
  const mine = generation;
  const alive = () => mine === generation;
  const [path, search = ''] = location.hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  try {
    if (parts[0] === 'execution' && parts[1]) {
      await executionView(main, decodeURIComponent(parts[1]), alive);
    } else if (parts[0] === 'machine' && parts[1]) {
      await machineView(main, decodeURIComponent(parts[1]), query, navigate, alive);
    } else {
      await homeView(main, query, navigate, alive);
    }
  } catch (error) {
    if (alive()) main.replaceChildren(errorBox(error));
  }
}

document.getElementById('endpoint').textContent = `API ${endpoint()}`;
window.addEventListener('hashchange', route);
route();
