import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { connectLive } from './lib/socket.ts';

connectLive();

const target = document.getElementById('app');
if (!target) throw new Error('glasswatch: #app is missing from index.html');

export default mount(App, { target });
