/* widget: see issue 5 */
