# FilterScope on an NVIDIA GPU: build the jar against ND4J's CUDA backend, run it on a CUDA runtime image.
#   docker build -t filterscope .
#   docker run --gpus all -p 8080:8080 -v "$PWD/models:/opt/filterscope/models" filterscope
# Cluster roles and the two-node example are in README.md ("Scale out").

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Dependencies first, so editing the code does not download them again.
COPY pom.xml ./
RUN mvn -B -q -Pcuda dependency:resolve
COPY src ./src
COPY webroot ./webroot
RUN mvn -B -q -Pcuda package -DskipTests

# The CUDA libraries themselves come inside the jar's dependencies (bytedeco's cuda redist); the image
# supplies the CUDA runtime environment the driver expects, and a JRE.
FROM nvidia/cuda:11.6.2-cudnn8-runtime-ubuntu20.04
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /opt/filterscope filterscope
WORKDIR /opt/filterscope
COPY --from=build /src/target/filterscope.jar ./filterscope.jar
COPY --from=build /src/target/lib ./lib
COPY models ./models
RUN chown -R filterscope /opt/filterscope/models
USER filterscope
# Models (and fetch-model downloads) live here; mount a host directory to keep them.
VOLUME ["/opt/filterscope/models"]
# 8080: page, API and WebSocket. 5701: the Hazelcast member port of a cluster node.
EXPOSE 8080 5701
# A front node answers /api/health (with the token when one is set): 503, and so a failed check, when its
# compute worker is dead, wedged or out of memory. Run compute-only workers with --no-healthcheck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD curl -fsS --max-time 4 -H "Authorization: Bearer ${FILTERSCOPE_TOKEN:-}" http://127.0.0.1:8080/api/health || exit 1
ENTRYPOINT ["java", "-jar", "filterscope.jar"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
