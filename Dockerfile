# syntax=docker/dockerfile:1
# The @events hub as an image: one node on SQLite, its data in the /var/lib/events
# volume; or a cluster node, given EVENTS_DATABASE_URL and EVENTS_REDIS_URL
# (deploy/compose.yaml, deploy/compose.cluster.yaml). The image is not built in CI
# (no container daemon there), so it runs only what the repo's own tests run: the
# README's install, `pnpm build`, and `events serve --config` (which
# apps/cli/test/deploy-files.test.ts starts from this very file, health check too).

FROM node:20-slim AS build
WORKDIR /app
# pnpm at the version package.json pins in packageManager (pnpm@10.34.8), installed as the README does.
COPY package.json ./
RUN npm install -g "$(node -p 'require("./package.json").packageManager')"
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build

FROM node:20-slim
WORKDIR /app
# The built workspace, node_modules included (pnpm's links stay relative). Owned by
# root, so the hub's user cannot change its own code.
COPY --from=build /app /app
COPY deploy/hub.yaml /etc/events/hub.yaml
# The store (hub.db) and the datagram socket: data_dir in deploy/hub.yaml.
RUN mkdir -p /var/lib/events && chown node:node /var/lib/events
VOLUME ["/var/lib/events"]
# Listen on every interface inside the container; publish the port to choose who reaches it.
ENV EVENTS_HOST=0.0.0.0
EXPOSE 8787
# node:20-slim's own non-root user.
USER node
# No curl in slim: node asks /healthz (503 when the store is gone). Set the port with
# PORT so this check follows it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) lets the hub finish its stored writes and close subscribers.
STOPSIGNAL SIGTERM
CMD ["node", "apps/cli/dist/bin.js", "serve", "--config", "/etc/events/hub.yaml"]
