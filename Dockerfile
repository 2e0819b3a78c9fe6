# Builds Bounceback on Debian bookworm (the packages the project is tested with) and ships the
# binary alone with the runtime libraries it links.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN apt-get update -qq && scripts/install-deps.sh \
 && cmake --preset release && cmake --build --preset release

FROM debian:bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libyaml-cpp0.7 libsqlite3-0 libssl3 libdate-tz3 librdkafka1 librdkafka++1 libtcmalloc-minimal4 tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/bounceback bounceback && mkdir -p /var/lib/bounceback && chown bounceback /var/lib/bounceback
COPY --from=build /src/build/release/app/bounceback /usr/local/bin/bounceback
COPY config/bounceback.yaml /etc/bounceback/bounceback.yaml
USER bounceback
EXPOSE 8080
VOLUME /var/lib/bounceback
ENTRYPOINT ["bounceback"]
CMD ["serve", "--config", "/etc/bounceback/bounceback.yaml", "--listen", "0.0.0.0:8080", "--data-dir", "/var/lib/bounceback"]
HEALTHCHECK CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
