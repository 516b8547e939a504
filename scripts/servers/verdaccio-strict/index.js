// verdaccio-strict: a verdaccio 6 middleware plugin for tagship's tests (issue 16, npm
// acceptance 2). verdaccio accepts things registry.npmjs.org refuses; this refuses them with
// npmjs's own status and body, so a test sending them directly proves the rule is real.
// Loaded by scripts/servers/verdaccio.sh (`plugins:` is this file's parent directory,
// `middlewares: {strict: {enabled: true}}`); no dependencies, nothing to install.
//
// Rules:
// - a package unpublished entirely (`DELETE /{name}/-rev/{rev}`, what `npm unpublish --force`
//   sends) cannot be published again for 24 hours: 403 `{"error": "{name} cannot be
//   republished until 24 hours have passed."}` (npmjs's answer; see
//   platforms/npm/refusals.rs). verdaccio lets it be republished at once.
'use strict';

const DAY_MS = 24 * 3600 * 1000;

// `/@scope%2fname/...` or `/@scope/name/...` or `/name/...` → [name, rest].
function split(path) {
  const m = /^\/(@[^/%]+(?:\/|%2[fF])[^/]+|[^@/][^/]*)(\/.*)?$/.exec(path);
  if (!m) return null;
  return [decodeURIComponent(m[1]), m[2] || ''];
}

module.exports = function strict(_config, options) {
  const logger = options && options.logger;
  const unpublished = new Map(); // name -> ms when it was unpublished entirely
  return {
    register_middlewares(app) {
      app.use((req, res, next) => {
        const parts = split(req.path);
        if (!parts || parts[0] === '-') return next();
        const [name, rest] = parts;
        if (req.method === 'DELETE' && /^\/-rev\/[^/]+$/.test(rest)) {
          res.on('finish', () => {
            if (res.statusCode < 300) unpublished.set(name, Date.now());
          });
          return next();
        }
        const since = unpublished.get(name);
        if (req.method === 'PUT' && rest === '' && since !== undefined && Date.now() - since < DAY_MS) {
          if (logger) logger.info({ name }, 'verdaccio-strict: @{name} was unpublished < 24 h ago');
          res.status(403).json({ error: `${name} cannot be republished until 24 hours have passed.` });
          return undefined;
        }
        return next();
      });
    },
  };
};
