# The docker compose end-to-end test (label "docker"): builds the image with
# the repository's compose.yaml, starts it, posts a 1 MB run through the
# published port, checks JSON and pcap, restarts, then recreates it with
# compose.paths.yaml and runs a link run, takes it down. It installs
# docker.io / docker-compose and builds the debian:bookworm-slim base image
# locally when missing, so the first run on a fresh machine takes minutes.
# Exit 77 (skipped) when no Docker engine can be started.
add_test(NAME docker_compose
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/docker/compose_test.sh)
set_tests_properties(docker_compose PROPERTIES
  LABELS docker
  SKIP_RETURN_CODE 77
  TIMEOUT 1800
  RUN_SERIAL TRUE)
