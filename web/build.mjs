// build.mjs - builds the console into OUT (default ../build/web), run by make:
//   1. np.proto -> gen/np.js (protobufjs static code, pbjs)
//   2. ../shared/data/geo CSVs -> OUT/data/registry.json (place names; public data)
//      and provinces.geojson, its LICENSE and attribution beside it
//   3. src/main.js bundled by esbuild into one classic script OUT/app.js, and
//      src/index.html with src/style.css inlined into OUT/index.html:
//      mosquitto's http_dir sends no Content-Type, which module scripts and
//      stylesheets would need.
// Nothing here is fetched at run time: the browser loads only files of OUT.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, '../build/web'));
const geo = path.resolve(process.env.NP_GEO_DIR || path.join(here, '../../shared/data/geo'));
const gen = path.join(here, 'gen');

function die(msg) {
	console.error(`web/build.mjs: ${msg}`);
	process.exit(1);
}

// 1. protobuf code
fs.mkdirSync(gen, { recursive: true });
const pbjs = path.join(here, 'node_modules/protobufjs-cli/bin/pbjs');
execFileSync(process.execPath, [pbjs, '-t', 'static-module', '-w', 'es6', '--no-verify',
	'--no-delimited', '--no-typeurl', '--no-comments', '--no-convert', '--force-number',
	'-o', path.join(gen, 'np.js'), path.join(here, '../proto/np.proto')], { stdio: 'inherit' });

// 2. the registry: {"p":{code:[th,en]}, "d":{...}, "s":{...}}, from CSVs
// with the header code,name_th,name_en (names hold no commas or quotes)
function csv(file) {
	const f = path.join(geo, file);
	if (!fs.existsSync(f))
		die(`no ${f}: set NP_GEO_DIR to the folder of provinces.csv`);
	const lines = fs.readFileSync(f, 'utf8').split(/\r?\n/).filter((l) => l !== '');
	if (lines[0] !== 'code,name_th,name_en')
		die(`${f}: the header is not code,name_th,name_en`);
	const rows = {};
	for (const [i, l] of lines.slice(1).entries()) {
		const c = l.split(',');
		if (c.length !== 3 || !/^[0-9]+$/.test(c[0]))
			die(`${f}:${i + 2}: not a code,name_th,name_en row`);
		rows[c[0]] = [c[1], c[2]];
	}
	return rows;
}
fs.mkdirSync(path.join(out, 'data'), { recursive: true });
const registry = { p: csv('provinces.csv'), d: csv('districts.csv'), s: csv('subdistricts.csv') };
fs.writeFileSync(path.join(out, 'data/registry.json'), JSON.stringify(registry));
fs.copyFileSync(path.join(geo, 'provinces.geojson'), path.join(out, 'data/provinces.geojson'));
fs.copyFileSync(path.join(geo, 'LICENSE'), path.join(out, 'data/LICENSE.txt'));

// 3. the app
await esbuild.build({
	entryPoints: [path.join(here, 'src/main.js')],
	bundle: true,
	minify: true,
	format: 'iife',
	platform: 'browser',
	target: ['chrome100', 'firefox100', 'safari15'],
	outfile: path.join(out, 'app.js'),
	legalComments: 'linked',
	logLevel: 'warning',
});
const css = fs.readFileSync(path.join(here, 'src/style.css'), 'utf8');
const html = fs.readFileSync(path.join(here, 'src/index.html'), 'utf8');
if (!html.includes('/*STYLE*/'))
	die('src/index.html has no /*STYLE*/ place for the stylesheet');
fs.writeFileSync(path.join(out, 'index.html'), html.replace('/*STYLE*/', () => css));
console.log(`web: console built into ${path.relative(process.cwd(), out) || '.'}`);
