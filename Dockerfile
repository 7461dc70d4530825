# Myelin in a container: the single binary on a slim Debian. Not built on the development
# machines (no Docker engine there); `docker build -t myelin .` wherever Docker runs.
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx bun run build

FROM debian:bookworm-slim
# PostgreSQL refuses to run as root, so the server runs as its own user.
RUN useradd --system --create-home --home-dir /data myelin
COPY --from=build /src/dist/myelin /usr/local/bin/myelin
USER myelin
WORKDIR /data
ENV MYELIN_DATA_DIRECTORY=/data \
    MYELIN_LISTENERS='[{"port": 8008, "bind_addresses": ["0.0.0.0"], "resources": [{"names": ["client", "federation"]}]}]'
VOLUME /data
EXPOSE 8008
ENTRYPOINT ["/usr/local/bin/myelin"]
CMD ["serve"]
