#!/usr/bin/env bats
load lib
