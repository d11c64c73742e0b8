/* The rules of 2048 for the page; the server checks recorded games with the same rules (game.py). */
/* exported Rules2048 */
var Rules2048 = (function () {
  "use strict";
  var SIZE = 4;

  function mergeTowardsStart(line) {
    var tiles = line.filter(function (value) { return value; });
    var merged = [], points = 0, index = 0;
    while (index < tiles.length) {
      if (index + 1 < tiles.length && tiles[index] === tiles[index + 1]) {
        merged.push(tiles[index] * 2);
        points += tiles[index] * 2;
        index += 2;
      } else {
        merged.push(tiles[index]);
        index += 1;
      }
    }
    while (merged.length < line.length) { merged.push(0); }
    return { line: merged, points: points };
  }

  function cellsOfLines(move) {
    var lines = [], a, b;
    for (a = 0; a < SIZE; a += 1) {
      var cells = [];
      for (b = 0; b < SIZE; b += 1) {
        var far = SIZE - 1 - b;
        cells.push({ left: [a, b], right: [a, far], up: [b, a], down: [far, a] }[move]);
      }
      lines.push(cells);
    }
    return lines;
  }

  function slide(board, move) {
    var result = board.map(function (row) { return row.slice(); });
    var total = 0;
    cellsOfLines(move).forEach(function (cells) {
      var slid = mergeTowardsStart(cells.map(function (cell) { return board[cell[0]][cell[1]]; }));
      total += slid.points;
      cells.forEach(function (cell, index) { result[cell[0]][cell[1]] = slid.line[index]; });
    });
    return { board: result, points: total };
  }

  function addTile(board) {
    var empty = [];
    board.forEach(function (row, r) { row.forEach(function (value, c) { if (!value) { empty.push([r, c]); } }); });
    var result = board.map(function (row) { return row.slice(); });
    var cell = empty[Math.floor(Math.random() * empty.length)];
    result[cell[0]][cell[1]] = Math.random() < 0.1 ? 4 : 2;
    return result;
  }

  function newBoard() {
    var empty = [0, 0, 0, 0].map(function () { return [0, 0, 0, 0]; });
    return addTile(addTile(empty));
  }

  function changes(board, move) {
    return JSON.stringify(slide(board, move).board) !== JSON.stringify(board);
  }

  function movesLeft(board) {
    return ["up", "down", "left", "right"].some(function (move) { return changes(board, move); });
  }

  return { slide: slide, addTile: addTile, newBoard: newBoard, changes: changes, movesLeft: movesLeft };
})();
