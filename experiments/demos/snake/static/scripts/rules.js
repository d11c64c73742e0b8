/* The rules of the snake game for the page; the server replays recorded games by the same rules (game.py). */
/* exported SnakeGame */
var SnakeGame = (function () {
  "use strict";
  var WIDTH = 20, HEIGHT = 20, MODULUS = 2147483647, MULTIPLIER = 48271;
  var STEPS = { up: [0, -1], down: [0, 1], left: [-1, 0], right: [1, 0] };
  var OPPOSITE = { up: "down", down: "up", left: "right", right: "left" };

  function Game(seed) {
    this.randomState = seed;
    this.body = [[WIDTH / 2, HEIGHT / 2], [WIDTH / 2 - 1, HEIGHT / 2], [WIDTH / 2 - 2, HEIGHT / 2]];
    this.direction = "right";
    this.score = 0;
    this.ticks = 0;
    this.crashed = false;
    this.food = this.placeFood();
  }

  function same(a, b) { return a[0] === b[0] && a[1] === b[1]; }
  function contains(cells, cell) { return cells.some(function (other) { return same(other, cell); }); }

  Game.prototype.placeFood = function () {
    // Products stay below 2^53, so the generator is exact in JavaScript numbers too.
    this.randomState = (this.randomState * MULTIPLIER) % MODULUS;
    var free = [];
    for (var y = 0; y < HEIGHT; y += 1) {
      for (var x = 0; x < WIDTH; x += 1) { if (!contains(this.body, [x, y])) { free.push([x, y]); } }
    }
    return free[this.randomState % free.length];
  };

  Game.prototype.nextHead = function (direction) {
    return [this.body[0][0] + STEPS[direction][0], this.body[0][1] + STEPS[direction][1]];
  };

  Game.prototype.wouldCrash = function (direction) {
    var head = this.nextHead(direction);
    var staying = same(head, this.food) ? this.body : this.body.slice(0, -1);
    return head[0] < 0 || head[0] >= WIDTH || head[1] < 0 || head[1] >= HEIGHT || contains(staying, head);
  };

  Game.prototype.canTurn = function (direction) {
    return Boolean(STEPS[direction]) && direction !== this.direction && direction !== OPPOSITE[this.direction];
  };

  Game.prototype.tick = function () {
    this.ticks += 1;
    if (this.wouldCrash(this.direction)) { this.crashed = true; return; }
    var head = this.nextHead(this.direction);
    if (same(head, this.food)) {
      this.body.unshift(head);
      this.score += 1;
      this.food = this.placeFood();
    } else {
      this.body.unshift(head);
      this.body.pop();
    }
  };

  return { Game: Game, WIDTH: WIDTH, HEIGHT: HEIGHT, MODULUS: MODULUS };
})();
