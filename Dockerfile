# Build a static binary, then run it as an unprivileged user in a minimal image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/takaffoul .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/takaffoul /takaffoul
USER nonroot:nonroot
EXPOSE 8080
ENV ADDR=:8080
ENTRYPOINT ["/takaffoul"]
CMD ["serve"]
