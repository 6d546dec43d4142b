// The dashboard page's entry: bundled with its styles (and uPlot's) by esbuild into app.js and app.css.
import { render } from 'preact'
import 'uplot/dist/uPlot.min.css'
import './style.css'
import { App } from './app.js'

const root = document.getElementById('app')!
root.textContent = '' // the "Loading" line index.html shows until this runs
render(<App />, root)
