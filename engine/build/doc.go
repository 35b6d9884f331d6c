// Package build turns Dockerfiles into images. BuildKit's parser gives the
// syntax tree (directives, continuations, heredocs, JSON and shell forms)
// and its shell lexer the variable substitution, so berth reads every
// Dockerfile docker reads, the same way. The builder runs the stages a
// target needs, in parallel where they are independent: RUN in a container
// of the engine's runtime whose overlay upper directory becomes the layer,
// COPY and ADD as a tar written straight into the store, every step keyed
// in the build cache by its parent, its expanded instruction and the
// content of what it reads.
//
// It must never name an image before the whole build has succeeded (a
// failed build leaves every tag where it was), never write into a layer
// the store already holds, and never print: progress leaves as Events.
package build
