// node-postgres (JavaScript dashboards) against `ceping serve`: the version, the tables
// and their comments, a metric view, a parameterised query (numeric comes back as a
// string, dates as Date), a refused write. Prints one JSON object; tests/it/clients.rs
// runs it.
const { Client } = require('pg');

(async () => {
  const [host, port] = process.argv.slice(2);
  const c = new Client({ host, port: Number(port), database: 'ceping', user: 'analyst' });
  await c.connect();
  const out = {};
  const step = async (name, f) => {
    try {
      out[name] = await f();
    } catch (e) {
      out[name] = { error: e.message, sqlstate: e.code };
    }
  };
  await step('version', async () => (await c.query('SELECT version()')).rows[0].version);
  await step('tables', async () => (await c.query(
    "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows);
  await step('comments', async () => (await c.query(
    "SELECT c.relname, obj_description(c.oid, 'pg_class') AS label FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname IN ($1, $2) ORDER BY 1",
    ['findings', 'plan_coverage'])).rows);
  await step('metric_view', async () => (await c.query('SELECT year, departments, units, systems FROM plan_coverage ORDER BY year')).rows);
  await step('parameterised', async () => (await c.query(
    'SELECT department, spent FROM spending WHERE year = $1 AND department = $2', [2018, '市教委'])).rows);
  await step('date', async () => {
    const v = (await c.query('SELECT min(assessed_on) AS d FROM assessments')).rows[0].d;
    return { iso: v.toISOString(), isDate: v instanceof Date };
  });
  await step('write', async () => (await c.query('DELETE FROM findings')).rowCount);
  await c.end();
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
