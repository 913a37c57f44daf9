# llamasteer serve in a container.
#   CPU:  docker build -t llamasteer .
#   CUDA: docker build -t llamasteer:cuda --build-arg BACKEND=cuda \
#           --build-arg RUNTIME_IMAGE=nvidia/cuda:13.0.0-runtime-ubuntu24.04 .
#         docker run --gpus all -p 8080:8080 -v llamasteer-data:/data llamasteer:cuda --gpu-layers -1
# The build fetches the pinned llama.cpp runtime and the chat page's SignalR client scripts from the npm registry (npm pack, SHA-512 checked), as a local build does.
# The CUDA runtime image has no .NET: the ASP.NET Core runtime is installed into it from Microsoft's script.
ARG BACKEND=cpu
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG BACKEND
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Steering.Host/Steering.Host.csproj -c Release -o /app -p:LlamaSteerBackend=${BACKEND}

FROM ${RUNTIME_IMAGE}
RUN if ! command -v dotnet >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends ca-certificates curl libicu-dev && \
      curl -fsSL https://dot.net/v1/dotnet-install.sh -o /tmp/dotnet-install.sh && \
      bash /tmp/dotnet-install.sh --channel 10.0 --runtime aspnetcore --install-dir /usr/share/dotnet && \
      ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && rm -rf /var/lib/apt/lists/* /tmp/dotnet-install.sh; \
    fi
WORKDIR /app
COPY --from=build /app ./
COPY models/ ./models/
ENV LLAMASTEER_MODEL=/app/models/stories260K.gguf
# Vectors and presets live on this volume; share it between replicas behind a load balancer.
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["dotnet", "llamasteer.dll", "serve", "--host", "0.0.0.0", "--port", "8080", "--data-dir", "/data"]
