import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { PAGES } from '$shared/routes.ts';
import { currentPath, session } from './lib/session.svelte.ts';
import { connectLive } from './lib/socket.ts';

// The login page connects once someone has logged in; every other page at once (no session: back to login).
if (currentPath() !== PAGES.login) {
  connectLive();
  if (currentPath() !== PAGES.kiosk) void session.load(); // a wall screen has a display token, not a user
}

const target = document.getElementById('app');
if (!target) throw new Error('glasswatch: #app is missing from index.html');

export default mount(App, { target });
