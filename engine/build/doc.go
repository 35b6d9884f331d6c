// Package build turns Dockerfiles into images. This first part reads them:
// BuildKit's parser gives the syntax tree (directives, continuations,
// heredocs, JSON and shell forms) and its shell lexer the variable
// substitution, so berth reads every Dockerfile docker reads, the same way.
// On top of that it checks instructions, splits stages and reports errors
// as Dockerfile:LINE: message.
//
// It must never run anything or touch the store; execution builds on it.
package build
